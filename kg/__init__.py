"""IIKG: a knowledge-graph explorer for investment in China's industrial internet."""
__version__ = "0.1.0"
