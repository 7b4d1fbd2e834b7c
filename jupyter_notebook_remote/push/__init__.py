"""Push: a notebook saved in the Jupyter contents -> a checked upload a provider streams.

``upload`` resolves and checks the path and the size and streams the file;
``checker`` runs the notebook check beside the upload (in a thread, or a
child process for a big one) and gives its verdict; ``nbcheck`` is the check
itself (the structure a run needs, and nbformat's schema as warnings). It is
runnable as ``python -m jupyter_notebook_remote.push.nbcheck`` and so imports
nothing heavy: import the submodules, not this package.
"""
