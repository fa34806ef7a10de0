#include "oci/reference.h"

#include <gtest/gtest.h>

namespace berth::oci {
namespace {

const std::string kHex = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
const std::string kSha = "sha256:" + kHex;

Reference parsed_reference(std::string_view s) {
  auto r = Reference::parse(s);
  EXPECT_TRUE(r) << s << ": " << r.error().str();
  return r ? *r : Reference{};
}

std::string error_of(std::string_view s) {
  auto r = Reference::parse(s);
  EXPECT_FALSE(r) << s << " parsed as " << r->str();
  if (r) {
    return "";
  }
  EXPECT_EQ(r.error().code(), Code::kInvalidArgument) << s;
  return r.error().str();
}

TEST(Reference, BareNameGetsDockerIoLibraryAndLatest) {
  Reference r = parsed_reference("busybox");
  EXPECT_EQ(r.domain, "docker.io");
  EXPECT_EQ(r.path, "library/busybox");
  EXPECT_EQ(r.tag, "");
  EXPECT_FALSE(r.has_tag());
  EXPECT_FALSE(r.digest);
  EXPECT_EQ(r.str(), "docker.io/library/busybox");
  EXPECT_EQ(r.with_default_tag().str(), "docker.io/library/busybox:latest");
  EXPECT_EQ(r.with_default_tag().familiar(), "busybox:latest");
}

TEST(Reference, NormalisesLikeDockerParseNormalizedNamed) {
  struct Case {
    const char* in;
    const char* full;
    const char* familiar;
  } cases[] = {
      {"ubuntu:22.04", "docker.io/library/ubuntu:22.04", "ubuntu:22.04"},
      {"library/ubuntu", "docker.io/library/ubuntu", "ubuntu"},
      {"docker.io/ubuntu", "docker.io/library/ubuntu", "ubuntu"},
      {"docker.io/library/ubuntu", "docker.io/library/ubuntu", "ubuntu"},
      {"index.docker.io/ubuntu", "docker.io/library/ubuntu", "ubuntu"},
      {"index.docker.io/fooo/bar", "docker.io/fooo/bar", "fooo/bar"},
      {"fooo/bar", "docker.io/fooo/bar", "fooo/bar"},
      {"other/library", "docker.io/other/library", "other/library"},
      {"library/foo/bar", "docker.io/library/foo/bar", "library/foo/bar"},
      {"store/foo/bar", "docker.io/store/foo/bar", "store/foo/bar"},
      {"test_com/foo", "docker.io/test_com/foo", "test_com/foo"},
      {"localhost/app", "localhost/app", "localhost/app"},
      {"localhost:5000/a/b:tag", "localhost:5000/a/b:tag", "localhost:5000/a/b:tag"},
      {"127.0.0.1:8000/private/moonbase", "127.0.0.1:8000/private/moonbase",
       "127.0.0.1:8000/private/moonbase"},
      {"example.com/privatebase", "example.com/privatebase", "example.com/privatebase"},
      {"Foo/bar", "Foo/bar", "Foo/bar"},
      {"FOO/bar:T", "FOO/bar:T", "FOO/bar:T"},
      {"192.168.1.1", "docker.io/library/192.168.1.1", "192.168.1.1"},
      {"192.168.1.1:5000", "docker.io/library/192.168.1.1:5000", "192.168.1.1:5000"},
      {"test.com:tag", "docker.io/library/test.com:tag", "test.com:tag"},
      {"[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000/repo:tag"},
      {"[::1]/repo", "[::1]/repo", "[::1]/repo"},
      {"xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com/myimage:xn--n3h.com",
       "xn--n3h.com/myimage:xn--n3h.com"},
      {"b.gcr.io/test.example.com/my-app:test.example.com",
       "b.gcr.io/test.example.com/my-app:test.example.com",
       "b.gcr.io/test.example.com/my-app:test.example.com"},
      {"lowercase:Uppercase", "docker.io/library/lowercase:Uppercase", "lowercase:Uppercase"},
      {"docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
       "docker.io/library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
       "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a"},
  };
  for (const auto& c : cases) {
    Reference r = parsed_reference(c.in);
    EXPECT_EQ(r.str(), c.full) << c.in;
    EXPECT_EQ(r.familiar(), c.familiar) << c.in;
    EXPECT_EQ(parsed_reference(r.str()), r) << c.in;  // the full form parses to itself
  }
}

TEST(Reference, SplitsDomainAndPath) {
  Reference r = parsed_reference("sub-dom1.foo.com:8080/bar/baz/quux:some-long-tag");
  EXPECT_EQ(r.domain, "sub-dom1.foo.com:8080");
  EXPECT_EQ(r.path, "bar/baz/quux");
  EXPECT_EQ(r.tag, "some-long-tag");
  EXPECT_EQ(r.name(), "sub-dom1.foo.com:8080/bar/baz/quux");
  EXPECT_EQ(r.familiar_name(), "sub-dom1.foo.com:8080/bar/baz/quux");
  Reference hub = parsed_reference("dmcgowan/myapp:1");
  EXPECT_EQ(hub.name(), "docker.io/dmcgowan/myapp");
  EXPECT_EQ(hub.familiar_name(), "dmcgowan/myapp");
}

TEST(Reference, DigestReferencesKeepTheDigestAndGetNoDefaultTag) {
  Reference r = parsed_reference("redis@" + kSha);
  ASSERT_TRUE(r.digest);
  EXPECT_EQ(r.digest->str(), kSha);
  EXPECT_EQ(r.tag, "");
  EXPECT_EQ(r.str(), "docker.io/library/redis@" + kSha);
  EXPECT_EQ(r.with_default_tag(), r);
  EXPECT_EQ(r.familiar(), "redis@" + kSha);
}

TEST(Reference, TagAndDigestTogetherKeepBoth) {
  Reference r = parsed_reference("busybox:latest@" + kSha);
  EXPECT_EQ(r.tag, "latest");
  ASSERT_TRUE(r.digest);
  EXPECT_EQ(r.str(), "docker.io/library/busybox:latest@" + kSha);
  EXPECT_EQ(r.familiar(), "busybox:latest@" + kSha);
  Reference port = parsed_reference("[2001:db8::1]:5000/repo:tag@" + kSha);
  EXPECT_EQ(port.domain, "[2001:db8::1]:5000");
  EXPECT_EQ(port.tag, "tag");
  EXPECT_EQ(port.digest->str(), kSha);
  Reference sha512 =
      parsed_reference("xn--7o8h.com/myimage:xn--7o8h.com@sha512:" + std::string(128, 'f'));
  EXPECT_EQ(sha512.digest->algorithm(), "sha512");
}

TEST(Reference, WithDefaultTagKeepsAnExistingTag) {
  EXPECT_EQ(parsed_reference("busybox:1.36").with_default_tag().tag, "1.36");
  EXPECT_EQ(parsed_reference("localhost:5000/x").with_default_tag().str(),
            "localhost:5000/x:latest");
}

TEST(Reference, UppercaseRepositoryIsRefusedWithDockersWording) {
  EXPECT_EQ(error_of("Busybox"),
            "invalid reference format: repository name (library/Busybox) must be lowercase");
  EXPECT_EQ(error_of("Uppercase:tag"),
            "invalid reference format: repository name (library/Uppercase) must be lowercase");
  EXPECT_EQ(error_of("docker/Docker"),
            "invalid reference format: repository name (docker/Docker) must be lowercase");
  EXPECT_EQ(error_of("test:5000/Uppercase/lowercase:tag"),
            "invalid reference format: repository name (Uppercase/lowercase) must be lowercase");
  EXPECT_EQ(error_of("docker.io/docker/Docker"),
            "invalid reference format: repository name (docker/Docker) must be lowercase");
}

TEST(Reference, SixtyFourHexCharactersAloneAreRefused) {
  std::string id = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a";
  EXPECT_EQ(error_of(id),
            "invalid repository name (" + id + "), cannot specify 64-byte hexadecimal strings");
  // 63 characters, or 64 that are not all hex, are ordinary names.
  EXPECT_EQ(parsed_reference(id.substr(1)).familiar(), id.substr(1));
  EXPECT_TRUE(Reference::parse("thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev"));
}

TEST(Reference, GrammarFailuresSayInvalidReferenceFormatNamingTheInput) {
  for (const std::string& bad : std::vector<std::string>{
           "",
           ":justtag",
           "@" + kSha,
           "https://github.com/docker/docker",
           "-docker",
           "-docker/docker",
           "-docker.io/docker/docker",
           "docker-/docker",
           "-docker-/docker",
           "docker///docker",
           "docker.io/docker///docker",
           "docker/",
           "____/____",
           "_docker/_docker",
           "dock..er/docker",
           "dock_.er/docker",
           "dock-.er/docker",
           "dock___er/docker",
           "aa/asdf$$^/aa",
           "[fc00::1]",
           "[fc00::1]:5000",
           "fc00::1:5000/debian",
           "[fe80::1%eth0]:5000/debian",
           "[2001:db8:3:4::192.0.2.33]:5000/debian",
           "busybox:",
           "busybox:-tag",
           "busybox:" + std::string(129, 'a'),
           "busybox::tag",
           "busybox@",
           "busybox@sha256:abc",
           "busybox@sha256",
           "localhost:port/app",
           "a b",
       }) {
    std::string err = error_of(bad);
    EXPECT_EQ(err, "reference \"" + bad + "\": invalid reference format") << bad;
  }
}

TEST(Reference, GoodTagsUpTo128Characters) {
  EXPECT_EQ(parsed_reference("busybox:" + std::string(128, 'a')).tag.size(), 128u);
  EXPECT_EQ(parsed_reference("busybox:_under.score-dash").tag, "_under.score-dash");
  EXPECT_EQ(parsed_reference("busybox:5000").tag, "5000");
}

TEST(Reference, PathComponentsAllowDotsDoubleUnderscoresAndDashRuns) {
  for (const char* good : {"docker-rules/docker", "docker---rules/docker", "dock__er/docker",
                           "d/docker", "jess/t", "a.b_c-d/e", "docker/docker"}) {
    EXPECT_TRUE(Reference::parse(good)) << good;
  }
}

TEST(Reference, InvalidDigestsGetGoDigestsMessages) {
  EXPECT_EQ(
      error_of("repo@sha256:" + std::string(34, 'f')),
      "reference \"repo@sha256:" + std::string(34, 'f') + "\": invalid checksum digest length");
  EXPECT_EQ(error_of("validname@invaliddigest:" + kHex),
            "reference \"validname@invaliddigest:" + kHex + "\": unsupported digest algorithm");
  std::string upper(64, 'F');
  EXPECT_EQ(error_of("repo@sha256:" + upper),
            "reference \"repo@sha256:" + upper + "\": invalid checksum digest format");
}

TEST(Reference, NamesLongerThan255CharactersAreRefused) {
  std::string path;
  for (int i = 0; i < 127; ++i) {
    path += "a/";
  }
  path += "a";  // 255 characters, plus docker.io/ is too long
  EXPECT_EQ(error_of(path + ":tag"), "reference \"" + path +
                                         ":tag\": repository name must not be more than 255 "
                                         "characters");
  std::string ok = "example.com/" + std::string(243, 'a');  // exactly 255
  EXPECT_TRUE(Reference::parse(ok + ":tag"));
  EXPECT_FALSE(Reference::parse(ok + "a:tag"));
}

TEST(Reference, UppercaseInAnInvalidDomainSaysTheNameMustBeLowercase) {
  EXPECT_EQ(error_of("Foo_Bar/x"), "reference \"Foo_Bar/x\": repository name must be lowercase");
}

TEST(Reference, AnInvalidDomainThatIsAValidPathBecomesPartOfThePath) {
  // distribution's regular expression lets the first component fall back to the path.
  Reference r = parsed_reference("foo_bar.com/x");
  EXPECT_EQ(r.domain, "");
  EXPECT_EQ(r.path, "foo_bar.com/x");
  EXPECT_EQ(r.str(), "foo_bar.com/x");
  EXPECT_EQ(r.familiar(), "foo_bar.com/x");
}

}  // namespace
}  // namespace berth::oci
