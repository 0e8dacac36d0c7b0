"""Stage 3, locate: assign sites, kits and water to towns and villages by geometry; match the
quota table to the towns.
"""
