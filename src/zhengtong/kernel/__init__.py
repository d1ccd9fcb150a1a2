"""The kernel: shared by every platform (org, identity, ids, calendar, masking, events, loops…)."""
