@etcd-v2v3
Feature: etcd v2store → v3store with the real `etcdctl migrate`, one member at a time
  The guide: write a key in v2, stop each member in turn, run `etcdctl migrate` (etcd <= 3.4),
  restart it, and read the key through v3.

  @smoke
  Scenario: the guide's exact steps on one member
    Given an etcd 3.4 store "source"
    When I set "/foo" to "bar" in the v2 API of etcd "source"
    And I migrate etcd "source" offline, one member at a time
    Then etcd "source" has "/foo" = "bar"
    And the offline migration of etcd "source" verifies

  @slow
  Scenario: the guide's steps rolling over a 3-member cluster
    Given an etcd 3.4 cluster "source" of 3 members
    When I set "/foo" to "bar" in the v2 API of etcd "source"
    And I migrate etcd "source" offline, one member at a time
    Then etcd "source" has "/foo" = "bar"
    And the offline migration of etcd "source" verifies

  @rollback
  Scenario: an offline migration rolled back leaves the v3 store as it was
    Given an etcd 3.4 store "source"
    And the v2 keys of "etcd-v2/shapes.yaml" in etcd "source"
    When I snapshot etcd "source" as "before"
    And I migrate etcd "source" offline, one member at a time
    And I roll back the offline migration of etcd "source"
    Then etcd "source" is unchanged since snapshot "before"
