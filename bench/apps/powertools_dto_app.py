"""Powertools event handler with enable_validation=True (pydantic): POST /orders with a 10-field model."""
from typing import Annotated, List, Literal, Optional

from aws_lambda_powertools.event_handler import (ALBResolver, APIGatewayHttpResolver, APIGatewayRestResolver,
                                                 LambdaFunctionUrlResolver)
from pydantic import BaseModel, Field

# Why a pattern and not EmailStr: EmailStr needs the email-validator package; koatty_lite's IsEmail is a regex too.
EMAIL = r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"


class Order(BaseModel):
    """The bench model: the same ten fields and constraints as bench/apps/koatty_dto_app.py."""

    name: Annotated[str, Field(min_length=1, max_length=50)]
    email: Annotated[str, Field(pattern=EMAIL)]
    age: Annotated[int, Field(ge=0, le=150)]
    score: Annotated[float, Field(ge=0)]
    active: bool
    tags: List[str]
    country: Literal["CN", "US", "DE"]
    zip: Annotated[str, Field(pattern=r"^[0-9]{6}$")]
    quantity: Annotated[int, Field(gt=0)]
    note: Optional[str] = None


def _routes(r):
    @r.post("/orders")
    def create(order: Order) -> Order:
        return order

    return lambda event, context: r.resolve(event, context)


HANDLERS = {"v1": _routes(APIGatewayRestResolver(enable_validation=True)),
            "v2": _routes(APIGatewayHttpResolver(enable_validation=True)),
            "url": _routes(LambdaFunctionUrlResolver(enable_validation=True)),
            "alb": _routes(ALBResolver(enable_validation=True))}
