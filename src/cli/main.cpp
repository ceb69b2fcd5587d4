// wheelhouse: package Python dependencies for Amazon MWAA private-network environments.
#include <cstdio>

int main() {
    std::puts("wheelhouse " WHEELHOUSE_VERSION);
    return 0;
}
