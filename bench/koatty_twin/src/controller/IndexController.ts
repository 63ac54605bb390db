import { Controller, GetMapping, KoattyContext, PathVariable } from "koatty";
import { App } from "../App";

@Controller("/")
export class IndexController {
  app: App;
  ctx: KoattyContext;

  constructor(ctx: KoattyContext) {
    this.ctx = ctx;
  }

  @GetMapping("/")
  index() {
    return { ok: true };
  }

  @GetMapping("/users/:id")
  user(@PathVariable("id") id: number) {
    return { id };
  }
}
