using Mono.Cecil;

// Writes a copy of LibGit2Sharp.dll whose P/Invoke parameters of type GitBuf are marked [In, Out], for the Native AOT
// build of the capstan executable (src/Capstan.Native) only.
//
// Why: libgit2 returns strings (a repository's path, a prettified commit or tag message, the global config file's path,
// a branch's remote) by filling a git_buf that LibGit2Sharp passes as a blittable class by value. CoreCLR pins such an
// object, so libgit2 writes straight into it. The Native AOT compiler of .NET 10 copies it in only (fixed upstream in
// dotnet/runtime#130279, for .NET 11), so every such call silently returns nothing: Repository.Discover finds no
// repository, commit and tag messages come out empty, ~/.gitconfig is not read. With [In, Out] the compiled stub copies
// the buffer back, which is what CoreCLR's pinning amounts to. The JIT-compiled server keeps the unmodified package.
//
// Usage: GitBufPatch IN.dll OUT.dll
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: GitBufPatch LibGit2Sharp.dll OUT/LibGit2Sharp.dll");
    return 2;
}
var (input, output) = (args[0], args[1]);
using var module = ModuleDefinition.ReadModule(input);
var marked = 0;
foreach (var type in module.GetTypes())
{
    foreach (var method in type.Methods)
    {
        if (!method.IsPInvokeImpl) continue;
        foreach (var parameter in method.Parameters)
        {
            if (parameter.ParameterType.FullName != "LibGit2Sharp.Core.Handles.GitBuf") continue;
            parameter.IsIn = true;
            parameter.IsOut = true;
            marked++;
        }
    }
}
// A LibGit2Sharp without GitBuf parameters would need this step re-examined rather than silently skipped.
if (marked == 0)
{
    Console.Error.WriteLine($"GitBufPatch: no GitBuf parameter found in {input}; check whether this step is still needed.");
    return 1;
}
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
module.Write(output);
Console.WriteLine($"GitBufPatch: {marked} GitBuf parameters marked [In, Out] in {output}");
return 0;
