"""一网通办: guide → applications → onething · licences · reviews · payments · suggestions."""
