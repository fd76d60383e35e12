"""The only part of ffgrader that runs inside the sandbox: the worker and the wire protocol.

``ffgrader.launcher.stage_library`` copies this package (and nothing else of ffgrader but the public
visible-test helpers the notebooks import) into the sandbox. Nothing here may import the trusted side.
"""
