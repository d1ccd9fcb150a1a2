"""kernel.calendar (工作日): Chinese working days, official holidays and swapped workdays (调休).

Other modules use public.py only. The file format for loading a year is in schedule_file.py.
"""
