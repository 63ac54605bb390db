"""Powertools event handler: the REST, HTTP and ALB resolvers, one per event type."""
from aws_lambda_powertools.event_handler import (ALBResolver, APIGatewayHttpResolver, APIGatewayRestResolver,
                                                 LambdaFunctionUrlResolver)


def _routes(r):
    @r.get("/hello")
    def hello():
        return {"hello": "world"}

    @r.get("/users/<id>")
    def user(id):
        return {"id": id}

    @r.post("/echo")
    def echo():
        return r.current_event.json_body

    return lambda event, context: r.resolve(event, context)


HANDLERS = {"v1": _routes(APIGatewayRestResolver()), "v2": _routes(APIGatewayHttpResolver()),
            "url": _routes(LambdaFunctionUrlResolver()), "alb": _routes(ALBResolver())}
