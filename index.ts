// The Pulumi program: the global stack or a region stack, chosen from the stack's config.
import { runProgram } from "./programs";

export = runProgram;
