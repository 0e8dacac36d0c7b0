"""Stage 4, measure: quota progress per town, access and coverage over the road network,
drowning risk of water bodies.
"""
