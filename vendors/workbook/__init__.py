"""Answering offline: a response as an XLSX workbook (export) and back (read, preview).

`layout` is what both sides agree on (sheet names, columns, the signed key); `export`
writes a workbook, `read` checks an uploaded one and turns it into the changes to save,
`preview` sorts those changes into new, changed, unchanged and conflicting (pure).
"""
