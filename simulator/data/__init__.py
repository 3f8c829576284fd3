"""Embedded data (US counties, state outlines, ZIP points, calibration targets) and the script that derives them.

Bottom layer: modules read the files through `importlib.resources`; the build script imports nothing from the
package.
"""
