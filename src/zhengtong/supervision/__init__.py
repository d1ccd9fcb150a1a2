"""互联网+监管 and 公共信用: credit → supervision."""
