"""Imported only by the forkserver that render.py starts: nbconvert's exporter is built and run once there,
so that every feedback page's process is forked warm. (Importing it elsewhere costs that second and changes
nothing else.)"""
from . import render

render.warm()
