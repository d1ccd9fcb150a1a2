"""好差评: ratings of applications, service items, departments and officers; a bad review becomes
a loop (callback within a working day, rectification within fifteen) that the reviewer closes by
rating the fix."""
