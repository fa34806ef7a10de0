// The berth command line: docker's commands, flags, output and exit codes.
#pragma once

namespace berth::cli {

// Parses argv, runs the command and returns the process exit code (0, or 125 for an engine or
// usage error, as docker does; later commands add 126/127 and the container's own code).
int run(int argc, char** argv);

}  // namespace berth::cli
