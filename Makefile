# Thin wrappers over build/build.sh (the same script CI, the Dockerfile and the tests run).
.PHONY: tool jit r2r aot all test

tool:
	build/build.sh tool
jit:
	build/build.sh jit
r2r:
	build/build.sh r2r
aot:
	build/build.sh aot
all:
	build/build.sh all
test:
	dotnet test Rampart.slnx
