"""互联网+监管: the law library and the supervision items founded on its clauses, 双随机一公开 random
inspections with recusal, a checkable draw and published results, inspections, risk clues and
penalty cases. It reads credit grades from credit; penalties reach credit as events."""
