"""Early warning: officers whose pattern of allegations needs action, and the proof."""
