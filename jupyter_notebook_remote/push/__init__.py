"""Push: a notebook saved in the Jupyter contents -> a checked upload a provider streams.

``upload`` resolves and checks the path and the size and streams the file;
``nbcheck`` validates the notebook (in a thread, or a child process for a
big one; it is runnable as ``python -m jupyter_notebook_remote.push.nbcheck``
and so imports nothing heavy: import the submodules, not this package).
"""
