"""The parts of :mod:`kg.report`: the events of a year read from the graph (:mod:`.events`), the
figures computed from them beside the published numbers (:mod:`.figures`) and the files and text
they are written as (:mod:`.files`). Import from :mod:`kg.report`, which puts them together."""
