"""One thing (一件事): bundles of service items across departments that an applicant does once —
one merged form (a field shared by several items asked once), one set of materials (a document
produced by one part is not asked for by another), parallel handling by the departments, one
result — with a task list of the parts and their states.
"""
