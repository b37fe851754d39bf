# The IIKG app (kg CLI and web explorer). Built by docker-compose.yml, which runs it on Neo4j.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY . .
# everything the app needs comes from pyproject's dependencies; nothing is downloaded at run time
RUN pip install . \
 && useradd --create-home --uid 10001 kg \
 && mkdir -p /data \
 && chown kg:kg /data

USER kg
WORKDIR /home/kg
ENV KG_WORKSPACE=/data \
    KG_BACKEND=neo4j
VOLUME ["/data"]
EXPOSE 5000

HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import socket; socket.create_connection(('127.0.0.1', 5000), 3).close()"

# binding 0.0.0.0 needs a token: pass KG_TOKEN in the environment (kg serve refuses to start without one)
CMD ["kg", "serve", "--host", "0.0.0.0", "--port", "5000"]
