"""Files in and out: importers, exports, the issue workbook, offline web assets."""
