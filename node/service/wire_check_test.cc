#include "node/service/wire_check.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "minga/v1/catalog.pb.h"

namespace minga {
namespace {

constexpr int kData = v1::AttachRequest::kDataFieldNumber;

// `wire` as gRPC may hand it over: cut into slices at `cuts`.
grpc::ByteBuffer Sliced(const std::string& wire, const std::vector<size_t>& cuts) {
  std::vector<grpc::Slice> slices;
  size_t from = 0;
  for (size_t cut : cuts) {
    slices.emplace_back(wire.data() + from, cut - from);
    from = cut;
  }
  slices.emplace_back(wire.data() + from, wire.size() - from);
  return grpc::ByteBuffer(slices.data(), slices.size());
}

std::string Joined(const BytesField& field) {
  std::string out;
  for (absl::string_view piece : field.pieces) out.append(piece.data(), piece.size());
  return out;
}

TEST(SoleBytesFieldTest, GivesTheDataOfAnUploadMessageWhereverItsSlicesAreCut) {
  std::string data(3000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  v1::AttachRequest m;
  m.set_data(data);
  const std::string wire = m.SerializeAsString();  // tag, a 2-byte length, the data
  for (size_t cut = 0; cut <= 4; ++cut) {
    for (size_t second : {wire.size(), size_t{100}, wire.size() - 1}) {
      std::vector<size_t> cuts = {cut};
      if (second > cut && second < wire.size()) cuts.push_back(second);
      std::optional<BytesField> field = SoleBytesField(Sliced(wire, cuts), kData);
      ASSERT_TRUE(field.has_value()) << "cut at " << cut << " and " << second;
      EXPECT_EQ(field->size, data.size());
      EXPECT_EQ(Joined(*field), data);
    }
  }
  // An empty value is a value.
  v1::AttachRequest empty;
  empty.set_data("");
  std::optional<BytesField> none = SoleBytesField(Sliced(empty.SerializeAsString(), {}), kData);
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(none->size, 0u);
  EXPECT_TRUE(none->pieces.empty());
}

TEST(SoleBytesFieldTest, LeavesEveryOtherMessageToTheParser) {
  v1::AttachRequest start;
  start.mutable_start()->set_material_id("m1");
  v1::AttachRequest finish;
  finish.mutable_finish()->set_size(3);
  v1::AttachRequest data;
  data.set_data("abc");
  const std::string d = data.SerializeAsString();
  const std::vector<std::string> others = {
      "",
      start.SerializeAsString(),
      finish.SerializeAsString(),
      d + d,                                           // the field twice: the parser keeps the last
      d + finish.SerializeAsString(),                  // another part after it
      d + std::string("\x28\x01", 2),                  // an unknown field after it
      d.substr(0, d.size() - 1),                       // cut short
      std::string("\x12\x80", 2),                      // a length that never ends
      std::string("\x10\x03", 2),                      // field 2 as a varint
      std::string("\x92\x00\x01x", 4),                 // the tag in two bytes: left to the parser
      std::string("\x12\x81\x80\x80\x80\x80\x00", 7),  // a length past five bytes
  };
  for (const std::string& wire : others) {
    EXPECT_FALSE(SoleBytesField(Sliced(wire, {}), kData).has_value())
        << "wire of " << wire.size() << " bytes";
  }
}

// Whatever the bytes, a message it reads parses to the same data.
TEST(SoleBytesFieldTest, AgreesWithTheParserOnDamagedMessages) {
  v1::AttachRequest m;
  m.set_data(std::string(200, 'x'));
  const std::string good = m.SerializeAsString();
  std::mt19937 random(11);
  int read = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string wire = random() % 2 ? good : good.substr(0, random() % (good.size() + 1));
    for (int flips = random() % 3; flips > 0 && !wire.empty(); --flips) {
      wire[random() % std::min<size_t>(wire.size(), 4)] = static_cast<char>(random());
    }
    if (random() % 4 == 0) wire += std::string(1 + random() % 3, static_cast<char>(random()));
    std::optional<BytesField> field = SoleBytesField(Sliced(wire, {wire.size() / 2}), kData);
    if (!field.has_value()) continue;
    ++read;
    v1::AttachRequest parsed;
    ASSERT_TRUE(parsed.ParseFromString(wire));
    ASSERT_EQ(parsed.part_case(), v1::AttachRequest::kData);
    EXPECT_EQ(parsed.data(), Joined(*field));
  }
  EXPECT_GT(read, 100);  // the damage left some messages whole
}

}  // namespace
}  // namespace minga
