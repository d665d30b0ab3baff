"""Upload helpers shared by the document and mail pages: a streaming size limit and rejection messages."""

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.views.decorators.csrf import csrf_exempt, csrf_protect


class SizeLimitUploadHandler(FileUploadHandler):
    """Skips any uploaded file over FOIA_MAX_UPLOAD_BYTES while it streams, so it is never kept whole."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.FOIA_MAX_UPLOAD_BYTES:
            self.request.too_large_uploads.append(self.file_name)
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size):
        return None


def limit_upload_sizes(view):
    """Installs SizeLimitUploadHandler; CSRF is checked after, since reading POST freezes the handlers."""
    protected = csrf_protect(view)

    def wrapped(request, *args, **kwargs):
        request.too_large_uploads = []
        request.upload_handlers.insert(0, SizeLimitUploadHandler(request))
        return protected(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return csrf_exempt(wrapped)


def report_rejections(request, rejected) -> None:
    """One error message per refused file, with the reason."""
    for exc in rejected:
        messages.error(request, f"Not stored: {exc.name or 'a file'} — {exc.reason}.")
