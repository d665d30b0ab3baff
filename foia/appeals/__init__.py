"""Appeals: rules per jurisdiction (rules.py, pure), the Appeal model, drafting, filing, sending and batches.

Import submodules directly (foia.appeals.rules, foia.appeals.services ...); this package imports nothing,
so foia.models can load the model module without a circle.
"""
