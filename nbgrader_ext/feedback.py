"""Keep hidden tests out of the feedback HTML.

``ClearHiddenTests`` removes the hidden region from a cell's *source*, but the executed cell's error
traceback still quotes the failing hidden line (and anything it printed). This preprocessor, run before
``ClearHiddenTests`` in ``GenerateFeedback``, reduces the outputs of every cell that contains hidden tests
to the error's name and message (the grading module's messages say what is wrong without quoting code).
"""

from __future__ import annotations

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode


class ScrubHiddenTestOutputs(NbGraderPreprocessor):
    begin_test_delimeter = Unicode("BEGIN HIDDEN TESTS").tag(config=True)

    def preprocess_cell(self, cell: NotebookNode, resources, index):
        if cell.cell_type != "code" or self.begin_test_delimeter not in cell.source:
            return cell, resources
        kept = []
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                kept.append(NotebookNode(output_type="error", ename=out.ename, evalue=out.evalue,
                                         traceback=[f"{out.ename}: {out.evalue}"]))
        cell.outputs = kept
        return cell, resources
