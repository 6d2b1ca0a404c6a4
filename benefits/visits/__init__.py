"""Appointments, ratings and complaints by voice: the robot's side of issue 6 part 5.

`model` reads the fleet's cfg/appointments; `words` reads the resident's
answers (scores, grounds, "another time", "I want to complain"); `phrases` says
things; `conversation.VisitsConversation` is the plain core the node ticks.
"""

from benefits.actions import Action, Say, SendEvent
from benefits.visits.conversation import (
    VisitsConversation,
    VisitsParams,
    VisitsState,
)
from benefits.visits.model import (
    Appointment,
    AppointmentsConfig,
    AppointmentsConfigError,
    FreeSlot,
    Specialist,
    parse_appointments_config,
)

__all__ = [
    "Action",
    "Appointment",
    "AppointmentsConfig",
    "AppointmentsConfigError",
    "FreeSlot",
    "Say",
    "SendEvent",
    "Specialist",
    "VisitsConversation",
    "VisitsParams",
    "VisitsState",
    "parse_appointments_config",
]
