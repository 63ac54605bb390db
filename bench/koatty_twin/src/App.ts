// The Koatty twin of bench/listen.py's koatty_lite app (same routes, same answers).
import { Bootstrap, Koatty } from "koatty";

@Bootstrap()
export class App extends Koatty {
  public init() {
    this.appDebug = false; // production: components are loaded from dist/
  }
}
