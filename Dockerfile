# The Maillage image: the web app (gunicorn, the default) or, given "scheduler", the periodic
# jobs. Used by compose.yaml; every setting comes from RSE_* environment variables.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FLASK_APP=rse:create_app \
    RSE_INSTANCE_PATH=/var/lib/maillage

# tzdata: the scheduler plans the weekly digest in local (Europe/Paris) time.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tzdata \
    && rm -rf /var/lib/apt/lists/*

# The app runs as an unprivileged user that can write only its instance folder.
RUN groupadd --system --gid 10001 maillage \
    && useradd --system --uid 10001 --gid maillage --home-dir /var/lib/maillage --no-create-home \
       --shell /usr/sbin/nologin maillage \
    && install -d -o maillage -g maillage -m 0750 /var/lib/maillage /var/lib/maillage/scheduler

WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .
RUN if [ -d translations ]; then pybabel --quiet compile --use-fuzzy --directory translations; fi \
    && chmod 0755 docker/entrypoint.sh

USER 10001:10001
EXPOSE 8000
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["web"]
