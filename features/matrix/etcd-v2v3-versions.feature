@matrix @etcd-v2v3
Feature: Version matrix: etcd v2 → v3 on each etcd line that serves the v2 API
  etcd 3.4 serves the v2 API with --enable-v2 and ships `etcdctl migrate`; etcd 3.5 still serves it
  with --enable-v2 but has no `etcdctl migrate`; etcd 3.6 has no v2 API. Each row migrates a
  3-member cluster and checks every member against the hand-written expected tree; a row whose
  migration does not exist for that line is not run, as not applicable, with the reason.

  Scenario Outline: etcd <source> with the v2 API, migrated <mode>: every member holds the expected tree
    Given the <mode> v2 → v3 migration applies to etcd <source>
    And an etcd <source> cluster "source" of 3 members with the v2 API
    And the v2 keys of "etcd-v2/shapes.yaml" in etcd "source"
    When I migrate etcd "source" <how>
    Then the <mode> migration of etcd "source" verifies
    And every member of etcd "source" matches the expected v3 tree for "etcd-v2/shapes.yaml" after the <mode> migration
    And every member of etcd "source" has the same hashkv at one revision

    Examples:
      | source | mode    | how                           |
      | 3.4    | offline | offline, one member at a time |
      | 3.4    | online  | online                        |
      | 3.5    | offline | offline, one member at a time |
      | 3.5    | online  | online                        |
