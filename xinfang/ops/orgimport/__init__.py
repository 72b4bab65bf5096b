"""`xinfang import-org FILE`: a county's organisation from one Excel workbook (issue 15 note).

``sheets`` defines the workbook (sheet and column names, reading, the blank template),
``check`` validates the whole file against itself and the database and resolves it into a
plan, ``load`` writes the plan in one transaction through ``Model.save`` (so the organisation
signals bump the scope caches exactly as an admin edit does) with one audit row per change,
and ``links`` issues the one-time links by which a new account sets its first password.
docs/operations.md ("Loading the organisation") documents the format.
"""
