"""Pure numpy/scipy measurement core: geometry, filters, kinematics, view classification.

Imports nothing but numpy and scipy (a test checks it).
"""
