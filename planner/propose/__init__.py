"""Stage 5, propose: new care sites per town quota, "四个一" kits along risky banks, the patrol
plan.
"""
