"""lead.enriched -> lead.scored."""

from collections.abc import Sequence

from services.score.rules import score_fit
from shared.business_config import BusinessConfig
from shared.events import EnvelopeBase, Event, LeadEnrichedEvent, LeadScoredEvent, follow_event
from shared.runtime import Stage
from shared.topics import Topic


async def handle(event: Event, config: BusinessConfig) -> Sequence[EnvelopeBase]:
    assert isinstance(event, LeadEnrichedEvent)
    scored = score_fit(event.data, config.scoring.rules)
    return [follow_event(LeadScoredEvent, event, producer="score", data=scored)]


STAGE: Stage[BusinessConfig] = Stage(name="score", inputs=[Topic.LEAD_ENRICHED], handle=handle)
