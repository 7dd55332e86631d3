"""The report layer: rendering, notebook context, tables, narrative, charts, labels, exports.

The only layer that writes prose (English and Chinese) or imports matplotlib, seaborn and
nbformat. May import every layer below it.
"""
