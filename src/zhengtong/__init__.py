"""政通 Zhengtong: one deployable digital-government platform."""
