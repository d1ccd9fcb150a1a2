"""Applications (办件): a person or company applies once, online or on a phone, with fields
pre-filled from the registries (each with its provenance) and materials fetched from shared data
or e-licences instead of uploaded (免提交); single-window intake routes the application to the
handling department (一窗受理、收办分离); each item's BPMN process runs it through user tasks with
working-day deadlines and escalation; instant items (秒办) are decided by DMN tables.
"""
