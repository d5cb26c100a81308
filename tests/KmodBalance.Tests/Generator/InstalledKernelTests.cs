using FluentAssertions;
using KmodBalance.Generator;
using KmodBalance.Generator.Build;

namespace KmodBalance.Tests.Generator;

public class InstalledKernelTests
{
    [Theory]
    [InlineData("6.1.0-100-cloud-amd64", "6.1.0-99-cloud-amd64")]
    [InlineData("6.10.0-1-cloud-amd64", "6.9.0-30-cloud-amd64")]
    [InlineData("6.1.0-56-cloud-amd64", "6.1.0-cloud-amd64")]
    public void Newer_releases_sort_later_by_number_not_by_text(string newer, string older)
    {
        InstalledKernel.CompareRelease(newer, older).Should().BePositive();
        InstalledKernel.CompareRelease(older, newer).Should().BeNegative();
    }

    [Fact]
    public void A_release_that_is_not_installed_names_the_files_it_needs() =>
        FluentActions.Invoking(() => InstalledKernel.Find("0.0.0-0-cloud-amd64")).Should().Throw<KmbException>()
            .WithMessage("*/boot/vmlinuz-0.0.0-0-cloud-amd64*");
}
