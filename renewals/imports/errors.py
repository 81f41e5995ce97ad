"""Why a file as a whole cannot be imported (row errors are ``RowError``s, not exceptions)."""

from django.db import models

from core.errors import ApplicationError


class ImportErrorCode(models.TextChoices):
    INVALID_FILE = "invalid_file"  # not a file type the import reads
    MISSING_COLUMNS = "missing_columns"
    ENCODING = "encoding"  # a CSV that is not UTF-8
    EMPTY = "empty"
    PARSE = "parse"  # not valid CSV, or not a readable workbook


class ImportFileError(ApplicationError):
    """The file as a whole cannot be imported (format, encoding, missing columns)."""

    def __init__(self, message, *, code=ImportErrorCode.INVALID_FILE):
        super().__init__(message, field="file", code=code, status=400)
