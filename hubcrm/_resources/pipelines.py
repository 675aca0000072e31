"""AsyncPipelines: the pipelines of deals, tickets and custom types, with their stages."""

from __future__ import annotations

import builtins
from typing import Any

from .._core.config import RequestOptions
from .._core.convert import load_pipeline
from .._core.errors import ResponseParseError
from .._core.pipeline_owner_models import Pipeline, PipelineStage
from .._http.retry import RequestKind, Retrier
from .._http.session import object_type_segment, path_segment
from .paging import page_results

__all__ = ["AsyncPipelines", "Pipeline", "PipelineStage"]


class AsyncPipelines:
    """The portal's pipelines: which stages a deal's ``dealstage`` (a ticket's
    ``hs_pipeline_stage``) may hold, and what they mean.

    Reached as ``crm.pipelines`` on a client; not constructed directly.
    """

    def __init__(self, retrier: Retrier, api_version: str, options: RequestOptions) -> None:
        self._retrier = retrier
        self._options = options
        if api_version == "v3":
            self._prefix = "/crm/v3/pipelines/"
        else:
            self._prefix = f"/crm/pipelines/{api_version}/"

    async def list(self, object_type: str) -> builtins.list[Pipeline]:
        """Every pipeline of a type, with its stages (archived ones too, marked so).

        A record's stage must be a live stage of its pipeline: HubSpot refuses it
        otherwise. The default deal pipeline is ``"default"``, the default ticket
        pipeline ``"0"``.

        Args:
            object_type: ``"deals"``, ``"tickets"``, or a custom type (name or id) that
                has pipelines.

        Returns:
            The pipelines, in HubSpot's order.

        Raises:
            TypeError, ValueError: ``object_type`` is malformed (checked first).
            APIError: HubSpot rejected the request (an unknown type, say).
            ResponseParseError: the answer is not a list of pipelines.
        """
        path = self._prefix + object_type_segment(object_type)
        data = await self._get(path)
        return [load_pipeline(item) for item in page_results(data, path)]

    async def get(self, object_type: str, pipeline_id: str) -> Pipeline:
        """One pipeline of a type, with its stages.

        Args:
            object_type: as for :meth:`list`.
            pipeline_id: the pipeline's id (``"default"``, ``"0"``, ...).

        Returns:
            The pipeline.

        Raises:
            TypeError, ValueError: an argument is malformed (checked first).
            NotFoundError: the type has no pipeline with that id.
            APIError: HubSpot rejected the request.
            ResponseParseError: the answer is not a pipeline.
        """
        segment = object_type_segment(object_type)
        path = f"{self._prefix}{segment}/{path_segment(pipeline_id, 'pipeline_id')}"
        return load_pipeline(await self._get(path))

    async def _get(self, path: str) -> Any:
        response = await self._retrier.request(
            "GET", path, kind=RequestKind.READ, options=self._options
        )
        data = response.json()
        if not isinstance(data, dict):
            raise ResponseParseError(f"could not read HubSpot's answer to {path}: not an object")
        return data
