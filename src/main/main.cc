// The berth binary: every invocation is a full engine instance (DESIGN.md "Shape").
#include "cli/app.h"

int main(int argc, char** argv) { return berth::cli::run(argc, argv); }
