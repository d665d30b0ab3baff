# One image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim-bookworm

# WeasyPrint needs Pango; DejaVu fonts so letters render the same everywhere. OCR (make ocr): Tesseract
# with English, and Ghostscript.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-dejavu-core \
       tesseract-ocr tesseract-ocr-eng ghostscript \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 FOIA_VAR_DIR=/app/var
WORKDIR /app
COPY pyproject.toml README.md ./
COPY foia ./foia
RUN pip install --no-cache-dir .
COPY . .
RUN useradd --create-home foia && mkdir -p /app/var && chown -R foia /app/var
USER foia
EXPOSE 8000
CMD ["gunicorn", "foia.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
