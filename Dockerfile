# ror-gis application image (the database is the postgis/postgis service of docker-compose.yml).

# The browser libraries that come from npm (web_map/vendor/package.json: Leaflet.VectorGrid, Leaflet.draw) are
# installed in a build stage, from the lock file, without their development dependencies (axe-core, test only).
FROM node:20-bookworm-slim AS vendor
WORKDIR /vendor
COPY web_map/vendor/package.json web_map/vendor/package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY . /app
COPY --from=vendor /vendor/node_modules /app/web_map/vendor/node_modules
# psycopg[binary], shapely and pyproj ship manylinux wheels: no compiler nor libpq needed.
RUN pip install . \
 && useradd --create-home --uid 10001 rorgis

USER rorgis
ENV ROR_GIS_DATA_DIR=/data
EXPOSE 8000
# demo = migrate the schema, load the IDF geography (idempotent), then serve.
CMD ["ror-gis", "demo", "--host", "0.0.0.0", "--port", "8000"]
