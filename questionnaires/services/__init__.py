"""Every write to questionnaires, responses, scores and reports goes through here.

Functions are named `<thing>_<verb>(*, ...)`, run inside `transaction.atomic`, and are
what views, admin actions, commands and tasks call. One module per area.
"""
