"""The supervision platform: credit → supervision (supervision reads grades; penalties reach credit
as events)."""
