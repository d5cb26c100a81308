using System.Runtime.Versioning;
using FluentAssertions;
using KmodBalance.Generator;
using KmodBalance.Generator.Output;
using KmodBalance.Harness.Images;
using KmodBalance.Tests.Support;

namespace KmodBalance.Tests.Safety;

/// <summary>The state dir rule: kmb trusts and writes only a state dir that is the invoking user's alone.
/// The planted directories are made as root here and handed to `nobody` with chown, as another local
/// user would have made them before root's first run.</summary>
[SupportedOSPlatform("linux")]
public class StateDirectoryTests
{
    private const uint Nobody = 65534;
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private static async Task ChownAsync(string path, uint uid)
    {
        var r = await Processes.RunAsync("chown", ["-h", $"{uid}:{uid}", path]);
        r.ExitCode.Should().Be(0, r.StandardError);
    }

    [Fact]
    public async Task A_state_dir_planted_by_another_user_is_refused_before_anything_is_written_in_it()
    {
        using var temp = new TempDir();
        var state = temp.Combine("state");
        Directory.CreateDirectory(state);
        await ChownAsync(state, Nobody);

        var list = await Kmb.RunAsync("kernel", "list", "--state-dir", state);
        var lab = await Kmb.RunAsync("lab", "run", "--state-dir", state, "--report", temp.Combine("report"));

        list.ExitCode.Should().Be(2);
        list.StandardError.Should().Contain($"{state} belongs to uid {Nobody}, not to you").And.Contain("give another --state-dir");
        lab.ExitCode.Should().Be(2);
        lab.StandardError.Should().Contain($"belongs to uid {Nobody}");
        lab.StandardError.Should().NotContain("create-netns").And.NotContain("boot-l1");
        Directory.GetFileSystemEntries(state).Should().BeEmpty("no run dir, module or image is made in it");
    }

    [Fact]
    public async Task A_symlink_planted_as_the_state_dir_is_refused_and_not_followed()
    {
        using var temp = new TempDir();
        var target = temp.Combine("chosen-by-someone-else");
        Directory.CreateDirectory(target);
        var state = temp.Combine("state");
        File.CreateSymbolicLink(state, target);

        var run = await Kmb.RunAsync("lab", "run", "--state-dir", state, "--report", temp.Combine("report"));

        run.ExitCode.Should().Be(2);
        run.StandardError.Should().Contain($"{state} is a symlink (to {target})");
        Directory.GetFileSystemEntries(target).Should().BeEmpty();
    }

    [Fact]
    public void A_state_dir_others_may_write_is_refused()
    {
        using var temp = new TempDir();
        var state = temp.Combine("state");
        Directory.CreateDirectory(state);
        File.SetUnixFileMode(state, OwnerOnly | UnixFileMode.GroupWrite | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);

        var refuse = () => StateDirectory.Secure(state);

        refuse.Should().Throw<KmbException>().Which.Message.Should().Contain("writable by others (mode 0770)");
    }

    [Fact]
    public async Task A_state_dir_under_a_directory_another_user_owns_is_refused()
    {
        using var temp = new TempDir();
        var theirs = temp.Combine("theirs");
        Directory.CreateDirectory(theirs);
        await ChownAsync(theirs, Nobody);

        var refuse = () => StateDirectory.Secure(Path.Combine(theirs, "state"));

        refuse.Should().Throw<KmbException>().Which.Message.Should().Contain($"{theirs} above it belongs to uid {Nobody}");
        Directory.Exists(Path.Combine(theirs, "state")).Should().BeFalse();
    }

    [Fact]
    public void A_new_state_dir_is_made_0700_and_the_users_own_0755_one_is_tightened()
    {
        using var temp = new TempDir();
        var fresh = temp.Combine("fresh", "state");
        var old = temp.Combine("old");
        Directory.CreateDirectory(old);
        File.SetUnixFileMode(old, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        StateDirectory.Secure(fresh).Should().Be(fresh);
        StateDirectory.Secure(old).Should().Be(old);

        File.GetUnixFileMode(fresh).Should().Be(OwnerOnly);
        File.GetUnixFileMode(old).Should().Be(OwnerOnly);
    }

    [Fact]
    public void A_cached_image_left_world_readable_is_made_owner_only_when_it_is_used()
    {
        using var temp = new TempDir();
        var cache = new ImageCache(temp.Path);
        var dir = cache.DirFor("guest", new string('a', 64));
        Directory.CreateDirectory(dir);
        var image = Path.Combine(dir, ImageCache.ImageFile);
        File.WriteAllText(image, "an initramfs holding a host key");
        File.WriteAllText(Path.Combine(dir, "manifest.txt"), "");
        File.SetUnixFileMode(image, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        cache.TryGet("guest", new string('a', 64), out _).Should().BeTrue();

        File.GetUnixFileMode(image).Should().Be(ImageCache.SecretMode);
    }

    [Fact]
    [Trait("Category", "Lab")]
    public async Task Built_images_and_their_keys_are_readable_by_their_owner_only()
    {
        using var temp = new TempDir();
        var state = temp.Combine("state");

        var run = await Kmb.RunAsync("image", "build", "--state-dir", state);

        run.ExitCode.Should().Be(0, run.StandardError);
        File.GetUnixFileMode(state).Should().Be(OwnerOnly);
        var guest = Directory.GetDirectories(Path.Combine(state, "images"), "guest-*").Should().ContainSingle().Subject;
        foreach (var secret in new[] { ImageCache.ImageFile, SshKeyMaterial.HostKeyFile, SshKeyMaterial.ClientKeyFile })
            File.GetUnixFileMode(Path.Combine(guest, secret)).Should().Be(ImageCache.SecretMode, secret);
    }
}
