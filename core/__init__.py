"""The shared kernel: errors, roles, client IP, spreadsheets, admin and API plumbing, localised names.

Every app may import ``core``; ``core`` imports no app (DESIGN §3).
"""
